/** What a job's uploads shipped: summed per attempt for the report, and one log line per upload. */
import type { UploadResult } from '../../contract/transport.js';

export interface UploadTotals {
  /** Upload steps that finished. */
  uploads: number;
  /** Files placed on the host, sent or linked. */
  files: number;
  /** Their total size. */
  bytes: number;
  /** Bytes that crossed to the host. */
  bytesSent: number;
  /** Files hard-linked from `link-from` instead of sent. */
  filesLinked: number;
  /**
   * One entry per upload, in order: whether it travelled compressed, with what and why
   * (`raw: a 1.0 MB sample shrank 0.3 %`, `gzip: compress: true`; see UploadResult.compression;
   * `unknown` from a transport that does not say).
   */
  compression: string[];
}

export function addUpload(totals: UploadTotals | null, r: UploadResult): UploadTotals {
  const t = totals ?? { uploads: 0, files: 0, bytes: 0, bytesSent: 0, filesLinked: 0, compression: [] };
  return {
    uploads: t.uploads + 1,
    files: t.files + r.files,
    bytes: t.bytes + r.bytes,
    bytesSent: t.bytesSent + (r.bytesSent ?? r.bytes),
    filesLinked: t.filesLinked + (r.filesLinked ?? 0),
    compression: [...t.compression, r.compression ?? 'unknown'],
  };
}

/** `uploaded 5000 files (57.0 MB): 1.2 MB sent, 4950 linked · tar · zstd: a 1.0 MB sample shrank 76.2 % · 1.4 s` */
export function describeUpload(r: UploadResult): string {
  const files = `${r.files} file${r.files === 1 ? '' : 's'} (${formatBytes(r.bytes)})`;
  const linked = r.filesLinked ? `, ${r.filesLinked} linked` : '';
  const how = [r.method, r.compression].filter((part) => part !== undefined).map((part) => ` · ${part}`);
  return `uploaded ${files}: ${formatBytes(r.bytesSent ?? r.bytes)} sent${linked}${how.join('')} · ${(r.durationMs / 1000).toFixed(1)} s`;
}

/** Decimal units, as disk and network figures are usually given: `57.0 MB`, `812 B`. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
