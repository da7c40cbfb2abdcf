import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './helpers.js';

let t: Awaited<ReturnType<typeof testApp>>;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

describe('web UI served by the controller', () => {
  it('serves the page at / without a token, pointing at hashed assets that exist', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const js = /src="(\/ui\/app\.[A-Za-z0-9]+\.js)"/.exec(page.body)?.[1];
    const css = /href="(\/ui\/app\.[A-Za-z0-9]+\.css)"/.exec(page.body)?.[1];
    expect(js && css).toBeTruthy();

    const script = await t.app.inject({ method: 'GET', url: js! });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
    expect(script.headers['cache-control']).toContain('immutable');
    // The bundle talks to the public API only.
    expect(script.body).toContain('/api/v1');

    const style = await t.app.inject({ method: 'GET', url: css! });
    expect(style.statusCode).toBe(200);
    expect(style.body).toContain('.cell');
  });

  it('answers an unknown asset with 404 naming it', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/ui/app.nope.js' });
    expect(r.statusCode).toBe(404);
    expect(r.json().message).toBe('ui asset app.nope.js: no such file');
  });

  it('keeps the API closed: serving the UI opens no data route', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(r.statusCode).toBe(401);
  });
});
