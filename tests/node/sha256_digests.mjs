// The page's SHA-256 (plugins/digit_model/assets/js/sha256.js) on some files, for comparison
// with Python's hashlib: both the pure-JS fallback and the WebCrypto path.
//
// usage: node sha256_digests.mjs <sha256 module as .mjs> <file>...
// prints {"<file>": {"fallback": "<hex>", "webcrypto": "<hex>"}, …}
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const [modulePath, ...files] = process.argv.slice(2);
const { sha256Hex, sha256HexFallback } = await import(pathToFileURL(modulePath).href);
const digests = {};
for (const file of files) {
  const bytes = await readFile(file);
  digests[file] = { fallback: sha256HexFallback(bytes), webcrypto: await sha256Hex(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}
console.log(JSON.stringify(digests));
