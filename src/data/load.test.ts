// Runs loadBrownDocuments against a throwaway HTTP server on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBrownDocuments } from './load.ts';

const documents = [{ id: 'ca01', genre: 'ca', category: 'news', text: 'The jury said.' }];
const bodies: Record<string, string> = {
  '/corpora/brown.json': JSON.stringify({ name: 'brown', documents }),
  '/corpora/html.json': '<!doctype html><html></html>',
  '/corpora/bad.json': JSON.stringify({ name: 'brown', documents: [{ id: 'ca01', genre: 'ca' }] }),
};

describe('loadBrownDocuments', () => {
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const body = bodies[request.url ?? ''];
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      response.end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns the served documents', async () => {
    expect(await loadBrownDocuments(`${origin}/corpora/brown.json`)).toEqual(documents);
  });

  it('explains a missing file', async () => {
    await expect(loadBrownDocuments(`${origin}/corpora/missing.json`)).rejects.toThrow(
      /not found at .*missing\.json \(HTTP 404\): run `npx tsx scripts\/prepare-corpus\.ts`/,
    );
  });

  it('explains a response that is not JSON', async () => {
    await expect(loadBrownDocuments(`${origin}/corpora/html.json`)).rejects.toThrow(/is not JSON: run/);
  });

  it('rejects documents without text', async () => {
    await expect(loadBrownDocuments(`${origin}/corpora/bad.json`)).rejects.toThrow(/document 0 has no string category, text/);
  });
});
