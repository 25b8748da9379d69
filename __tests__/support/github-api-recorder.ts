/**
 * A stand-in for GitHub's REST API on loopback: records every request (method, path, the
 * Authorization header, the JSON body) and answers the deployment calls the way GitHub does, or
 * with an error, or never. The action finds it through GITHUB_API_URL, as on GitHub Enterprise.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string;
  body: Record<string, unknown>;
}

/** How the API answers: like GitHub, with an HTTP error, or not at all (the request hangs). */
export type ApiBehaviour = 'github' | { status: number; message: string } | 'hang';

export interface GitHubApiRecorder {
  /** `http://127.0.0.1:PORT`: the value of GITHUB_API_URL. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  behaviour: ApiBehaviour;
  close(): Promise<void>;
}

export const DEPLOYMENT_ID = 4242;

export async function startGitHubApiRecorder(behaviour: ApiBehaviour = 'github'): Promise<GitHubApiRecorder> {
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let statuses = 0;
  const recorder = {
    url: '',
    requests,
    behaviour,
    close: async (): Promise<void> => {
      for (const res of hanging) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: String(req.headers.authorization ?? ''),
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      });
      const mode = recorder.behaviour;
      if (mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (mode !== 'github') return answer(res, mode.status, { message: mode.message });
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/deployments$/.test(req.url ?? ''))
        return answer(res, 201, { id: DEPLOYMENT_ID, sha: 'x', environment: 'x' });
      if (req.method === 'POST' && /\/deployments\/\d+\/statuses$/.test(req.url ?? ''))
        return answer(res, 201, { id: ++statuses });
      answer(res, 404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  recorder.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return recorder;
}

/** A loopback address where nothing listens: GitHub's API, down. */
export async function closedApiUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => resolve(text));
  });
}

function answer(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
