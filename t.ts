import { PGlite } from "@electric-sql/pglite";

let t = Date.now();
const p = new PGlite();
await p.waitReady;
console.log("ready", Date.now() - t);
t = Date.now();
const q = new PGlite();
await q.waitReady;
console.log("second", Date.now() - t);
t = Date.now();
const b = await q.dumpDataDir("none");
console.log("dump", Date.now() - t, b.size);
t = Date.now();
const r = new PGlite({ loadDataDir: b });
await r.waitReady;
console.log("load", Date.now() - t);
