/** The default release id (BW_RELEASE): the run's start as a UTC timestamp, `20261128T005603Z`. */
export function defaultReleaseId(at: Date): string {
  return at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}
