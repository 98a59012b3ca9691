// veedor: lanes of a static mirror's lookup key (docs/mirror.md), in a worker, so that a phone
// computes its lanes on all its cores at once. Given the voter id, the election's salt, scrypt's
// parameters and the lanes to do, it derives scrypt(id, salt + 'lane/<i>/', N, r, p, 8) for each
// (the salt alone when the key has one lane) with the vendored hash-wasm, and posts back their
// exclusive or with the job's id. lookup.js combines the workers' answers the same way.
'use strict';

importScripts('hash-wasm-scrypt.js');

self.onmessage = function (event) {
  var job = event.data;
  var encoder = new TextEncoder();
  var key = new Uint8Array(8);
  var lanes = job.lanes.slice();
  function next() {
    if (lanes.length === 0) {
      self.postMessage({ id: job.id, key: key });
      return;
    }
    var lane = lanes.shift();
    self.hashwasm
      .scrypt({
        password: encoder.encode(job.password),
        salt: encoder.encode(job.laneCount === 1 ? job.salt : job.salt + 'lane/' + lane + '/'),
        costFactor: Math.pow(2, job.logN),
        blockSize: job.r,
        parallelism: job.p,
        hashLength: 8,
        outputType: 'binary'
      })
      .then(function (lane) {
        for (var i = 0; i < 8; i++) {
          key[i] ^= lane[i];
        }
        next();
      })
      .catch(function (error) {
        self.postMessage({ id: job.id, error: String(error) });
      });
  }
  next();
};
