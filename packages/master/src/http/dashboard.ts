import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Router } from './router.js';

/** The dashboard's files: plain HTML, CSS and JS modules, no build step. Beside dist/ and src/ so the Docker image keeps them. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/api.js': { file: 'api.js', type: 'text/javascript; charset=utf-8' },
  '/assets/format.js': { file: 'format.js', type: 'text/javascript; charset=utf-8' },
  '/assets/jobs-view.js': { file: 'jobs-view.js', type: 'text/javascript; charset=utf-8' },
  '/assets/job-page.js': { file: 'job-page.js', type: 'text/javascript; charset=utf-8' },
  '/assets/node-page.js': { file: 'node-page.js', type: 'text/javascript; charset=utf-8' },
  '/assets/charts.js': { file: 'charts.js', type: 'text/javascript; charset=utf-8' },
  '/assets/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/assets/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/** Only our own files, no inline scripts: job commands and output shown on the page can never run as code. */
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Serves the dashboard at `/`; files are read once, at start. */
export function addDashboardRoutes(router: Router, dir = DASHBOARD_DIR): void {
  for (const [path, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(`${dir}${file}`);
    const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`;
    router.add('GET', path, ({ req, res }) => {
      const headers = {
        'content-type': type,
        etag,
        // Revalidate every time: a new master version must not run with an old script.
        'cache-control': 'no-cache',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': body.length });
      res.end(body);
    });
  }
}
