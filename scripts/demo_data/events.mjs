// Writes N nested JSON lines of shop events (page views, carts, purchases), deterministically:
// every value is a function of the line number, so the same N gives the same bytes.
//
//   node scripts/demo_data/events.mjs --lines 200000 --out events.jsonl
//
// A line has nested objects (user.device, context.page), a list of objects (items, empty on
// most page views), a list of strings (tags), nulls, timestamps and decimals, e.g.
//   {"event_id":1,"ts":"2024-03-01T00:00:07.123Z","type":"page_view","source":"web",
//    "user":{"id":4821,"country":"DE","device":{"os":"linux","browser":"firefox"}},
//    "context":{"page":{"path":"/p/sku-00042","referrer":null},"session":"s-1f2e3d4c"},
//    "items":[],"tags":["new"],"amount":null}
import { openSync, writeSync, closeSync } from 'node:fs';

function parseArgs(argv) {
  const args = { lines: 200000, out: null };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--lines') args.lines = Number(argv[++i]);
    else if (a === '--out') args.out = argv[++i];
    else throw new Error(`events.mjs: unknown argument '${a}'`);
  }
  if (!Number.isInteger(args.lines) || args.lines < 1) throw new Error('events.mjs: --lines N (N >= 1)');
  if (!args.out) throw new Error('events.mjs: --out FILE is required');
  return args;
}

// A 32-bit mix of (i, salt): the same numbers on every machine, no random-number state.
function mix(i, salt) {
  let x = (Math.imul(i, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

const TYPES = ['page_view', 'page_view', 'page_view', 'search', 'add_to_cart', 'purchase'];
const SOURCES = ['web', 'ios', 'android'];
const COUNTRIES = ['DE', 'FR', 'NL', 'US', 'GB', 'ES', 'IT', 'PL', 'SE', 'JP'];
const OS = ['linux', 'windows', 'macos', 'ios', 'android'];
const BROWSERS = ['firefox', 'chrome', 'safari', 'edge'];
const TAGS = ['new', 'returning', 'promo', 'mobile', 'beta', 'vip'];
const QUERIES = ['red shoes', 'tent', 'coffee grinder', 'usb-c cable', 'rain jacket'];
const START_MS = Date.UTC(2024, 2, 1); // 2024-03-01

function sku(n) {
  return 'sku-' + String(n % 5000).padStart(5, '0');
}

function line(i) {
  const h = mix(i, 0);
  const type = TYPES[h % TYPES.length];
  const source = SOURCES[(h >>> 3) % SOURCES.length];
  // About 2.5 events a second, with millisecond jitter: 200k lines span a day, 5M about 3 weeks.
  const ts = new Date(START_MS + i * 400 + (mix(i, 1) % 400)).toISOString();
  const uid = 1 + (mix(i, 2) % 100000);
  const user = `{"id":${uid},"country":"${COUNTRIES[uid % COUNTRIES.length]}","device":{"os":"${
    OS[(h >>> 7) % OS.length]}","browser":"${BROWSERS[(h >>> 11) % BROWSERS.length]}"}}`;
  const referrer = (h >>> 13) % 4 === 0 ? `"https://example.com/r/${h % 97}"` : 'null';
  let path;
  let items = '[]';
  let amount = 'null';
  if (type === 'search') {
    path = `/search?q=${encodeURIComponent(QUERIES[h % QUERIES.length])}`;
  } else {
    path = `/p/${sku(mix(i, 3))}`;
  }
  if (type === 'add_to_cart' || type === 'purchase') {
    const n = 1 + (mix(i, 4) % 4);
    const parts = [];
    let cents = 0;
    for (let k = 0; k < n; k++) {
      const m = mix(i, 10 + k);
      const qty = 1 + (m % 3);
      const price = 199 + (m >>> 8) % 19800; // 1.99 .. 199.98
      cents += qty * price;
      parts.push(`{"sku":"${sku(m >>> 4)}","qty":${qty},"price":${(price / 100).toFixed(2)}}`);
    }
    items = `[${parts.join(',')}]`;
    if (type === 'purchase') amount = (cents / 100).toFixed(2);
  }
  const tags = [];
  const t = mix(i, 5);
  for (let k = 0; k < t % 3; k++) tags.push(`"${TAGS[(t >>> (4 + 3 * k)) % TAGS.length]}"`);
  return `{"event_id":${i},"ts":"${ts}","type":"${type}","source":"${source}","user":${user},` +
    `"context":{"page":{"path":"${path}","referrer":${referrer}},"session":"s-${
      mix(uid, 6 + (i >>> 12)).toString(16).padStart(8, '0')}"},` +
    `"items":${items},"tags":[${tags.join(',')}],"amount":${amount}}\n`;
}

const args = parseArgs(process.argv);
const fd = openSync(args.out, 'w');
let chunk = [];
let size = 0;
for (let i = 1; i <= args.lines; i++) {
  const s = line(i);
  chunk.push(s);
  size += s.length;
  if (size >= 4 << 20) {
    writeSync(fd, chunk.join(''));
    chunk = [];
    size = 0;
  }
}
if (chunk.length) writeSync(fd, chunk.join(''));
closeSync(fd);
