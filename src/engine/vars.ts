import { ConfigError } from '../errors.js';

export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expand `${NAME}` in a non-command field (upload paths, names). Unknown names are an error, so a
 * typo never silently becomes an empty path segment. `$${` escapes a literal `${`.
 */
export function expandVars(text: string, vars: Readonly<Record<string, string>>, where = 'value'): string {
  return text.replace(/\$(\$)?\{([^}]*)\}/g, (whole, escaped: string | undefined, name: string) => {
    if (escaped) return whole.slice(1);
    if (!VAR_NAME.test(name)) throw new ConfigError(`${where}: invalid variable name "\${${name}}"`);
    const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (value === undefined) throw new ConfigError(`${where}: unknown variable "\${${name}}"`);
    return value;
  });
}
