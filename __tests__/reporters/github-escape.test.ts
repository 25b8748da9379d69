import {
  escapeCell,
  escapeHtml,
  escapeMarkdown,
  markdownLink,
  safeHttpUrl,
  stripControl,
  truncateText,
  utf8Bytes,
} from '../../src/reporters/github-escape.js';

describe('stripControl', () => {
  it('removes colours, cursor moves, OSC titles and control characters; keeps tabs and newlines', () => {
    expect(stripControl('\x1b[31mred\x1b[0m\tok\n\x1b]0;title\x07done\x08\x7f')).toBe('red\tok\ndone');
    expect(stripControl('\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\')).toBe('link');
  });
});

describe('escapeHtml', () => {
  it('escapes every character HTML gives a meaning to, after stripping control sequences', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>\x1b[1m`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;',
    );
  });
});

describe('escapeCell', () => {
  it('keeps a table cell on one line: a blank line would end the HTML block', () => {
    expect(escapeCell('a\n\n  b <c>')).toBe('a b &lt;c&gt;');
  });
});

describe('escapeMarkdown', () => {
  it('turns every Markdown and GitHub-extension character into a numeric reference', () => {
    const text = escapeMarkdown('*bold* _it_ `code` [l](u) | ~x~ # $m$ !{}\\');
    expect(text.replace(/&#\d+;/g, '')).not.toMatch(/[*_`[\]|~#$!{}\\]/);
    expect(text).toContain('&#42;bold&#42;');
    expect(text).toContain('&#96;code&#96;');
  });
});

describe('escapeMarkdown: names and errors as typed', () => {
  it('an apostrophe is one reference (&#39;), never a reference whose # is escaped again', () => {
    const text = escapeMarkdown('Bob\'s "deploy" & co');
    expect(text).toBe('Bob&#39;s &quot;deploy&quot; &amp; co');
    expect(text).not.toContain('&&#35;');
  });
});

describe('safeHttpUrl and markdownLink', () => {
  it('keeps an http(s) URL, with parentheses, quotes, angle brackets and spaces percent-encoded', () => {
    expect(safeHttpUrl('https://x/)<h2>INJECTED</h2>[click](https://evil.example/login)')).toBe(
      'https://x/%29%3Ch2%3EINJECTED%3C/h2%3E[click]%28https://evil.example/login%29',
    );
    expect(markdownLink('their run', "https://github.example/a b/'x'")).toBe(
      '[their run](https://github.example/a%20b/%27x%27)',
    );
  });

  it('leaves out anything but a plain http(s) URL', () => {
    for (const url of [
      'javascript:alert(1)',
      'data:text/html,x',
      'ftp://x/',
      '/relative',
      'https://u:p@x/',
      '',
    ])
      expect(markdownLink('their run', url)).toBe('');
  });
});

describe('truncateText', () => {
  it('keeps at most max characters, counting code points, and marks the cut', () => {
    expect(truncateText('abcdef', 6)).toBe('abcdef');
    expect(truncateText('abcdef', 4)).toBe('abc…');
    expect(truncateText('😀😀😀😀', 3)).toBe('😀😀…');
  });
});

describe('utf8Bytes', () => {
  it('counts bytes, not characters', () => {
    expect(utf8Bytes('a')).toBe(1);
    expect(utf8Bytes('é')).toBe(2);
    expect(utf8Bytes('😀')).toBe(4);
  });
});
