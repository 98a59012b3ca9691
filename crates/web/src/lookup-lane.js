// veedor: lanes of a static mirror's lookup key (docs/mirror.md). Given the voter id, the
// election's salt, scrypt's parameters and the lanes to do, `veedorLanes(job)` derives
// scrypt(id, salt + 'lane/<i>/', N, r, p, 8) for each (the salt alone when the key has one lane)
// with the vendored hash-wasm, and resolves to their exclusive or. Loaded as a worker (one a
// core, so that a phone computes its lanes on all its cores at once) it answers each job with
// that key and the job's id; loaded on the page, after static/hash-wasm-scrypt.js, it is what
// lookup.js calls where workers cannot run. lookup.js combines the workers' answers the same way.
(function (scope) {
  'use strict';

  function veedorLanes(job) {
    var encoder = new TextEncoder();
    var key = new Uint8Array(8);
    return job.lanes.reduce(function (done, lane) {
      return done
        .then(function () {
          return scope.hashwasm.scrypt({
            password: encoder.encode(job.password),
            salt: encoder.encode(job.laneCount === 1 ? job.salt : job.salt + 'lane/' + lane + '/'),
            costFactor: Math.pow(2, job.logN),
            blockSize: job.r,
            parallelism: job.p,
            hashLength: 8,
            outputType: 'binary'
          });
        })
        .then(function (part) {
          for (var i = 0; i < 8; i++) {
            key[i] ^= part[i];
          }
        });
    }, Promise.resolve()).then(function () {
      return key;
    });
  }

  scope.veedorLanes = veedorLanes;
  // In a worker: load the library, and answer jobs.
  if (typeof scope.importScripts === 'function') {
    scope.importScripts('hash-wasm-scrypt.js');
    scope.onmessage = function (event) {
      var job = event.data;
      veedorLanes(job).then(
        function (key) {
          scope.postMessage({ id: job.id, key: key });
        },
        function (error) {
          scope.postMessage({ id: job.id, error: String(error) });
        }
      );
    };
  }
})(self);
