// Preloaded (`--require`) into the engine process by the memory benchmark only, with --expose-gc and
// an IPC channel: on request it collects garbage fully and reports process.memoryUsage(), or writes
// a heap snapshot. The product code knows nothing of it.
'use strict';
const v8 = require('node:v8');

process.on('message', (m) => {
  if (!m || typeof m !== 'object') return;
  if (m.type === 'bench-memory') {
    // Several passes: weak maps and finalizers free more on the second.
    for (let i = 0; i < 3; i++) global.gc();
    const u = process.memoryUsage();
    process.send({
      type: 'bench-memory',
      id: m.id,
      rss: u.rss,
      heapUsed: u.heapUsed,
      heapTotal: u.heapTotal,
      external: u.external,
      arrayBuffers: u.arrayBuffers,
    });
  } else if (m.type === 'bench-snapshot') {
    global.gc();
    process.send({ type: 'bench-snapshot', id: m.id, path: v8.writeHeapSnapshot(m.path) });
  }
});
