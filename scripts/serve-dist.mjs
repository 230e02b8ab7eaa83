// Serves dist/ on http://127.0.0.1:8080 (scripts/serve.sh), gzipped as a static host does.
import path from 'node:path';
import { serve } from '../tests/e2e/server.mjs';

const port = Number(process.env.PORT ?? 8080);
const served = await serve(path.resolve(import.meta.dirname, '../dist'), { port });
console.log(`VAE Lab: ${served.url.replace('127.0.0.1', 'localhost')} (serving dist/; Ctrl-C stops)`);
