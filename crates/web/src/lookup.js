// veedor: the voter lookup of a static mirror (docs/mirror.md). The registry is published as
// shards named by the first bits of each voter's key, the exclusive or of one scrypt(voter id,
// salt + 'lane/<i>/', N, r, p) a lane (one scrypt of the salt alone with one lane), with the
// parameters the form states (those the transparency log commits to); each shard lists, for the
// voters whose key falls in it, the key's first 8 bytes and their table. This script derives
// the key of what is typed in workers (static/lookup-lane.js), as many as the device has cores,
// or on the page with the same script and the vendored hash-wasm (static/hash-wasm-scrypt.js),
// both loaded before it, where workers cannot run or fail; fetches the one shard it falls in and opens the voter's
// table page. What is typed never leaves the browser: only the shard's name does, as a file
// request.
(function () {
  'use strict';

  // The voter id as the server reads it (VoterId::parse): an optional letter prefix among the
  // election's (and a dash), digits with optional . or , separators; the number without
  // leading zeros, or null.
  function voterNumber(text, prefixes) {
    var rest = text.trim();
    var first = rest.charAt(0);
    if (/^[A-Za-z]$/.test(first)) {
      var known = prefixes.some(function (prefix) {
        return prefix.toLowerCase() === first.toLowerCase();
      });
      if (!known) {
        return null;
      }
      rest = rest.slice(1).replace(/^\s+/, '');
      if (rest.charAt(0) === '-') {
        rest = rest.slice(1).replace(/^\s+/, '');
      }
    }
    var digits = '';
    for (var i = 0; i < rest.length; i++) {
      var character = rest.charAt(i);
      if (character >= '0' && character <= '9') {
        digits += character;
        if (digits.length > 18) {
          return null;
        }
      } else if ((character !== '.' && character !== ',') || digits === '') {
        return null;
      }
    }
    digits = digits.replace(/^0+/, '');
    return digits === '' ? null : digits;
  }

  // lookup/ab/cd.bin for 16 bits: the hash's first bits/4 hex digits, two per folder.
  function shardPath(hash, bits) {
    var digits = '';
    for (var i = 0; i < bits / 4; i++) {
      digits += ((hash[i >> 1] >> ((i & 1) ? 0 : 4)) & 15).toString(16);
    }
    var parts = [];
    for (i = 0; i < digits.length; i += 2) {
      parts.push(digits.slice(i, i + 2));
    }
    return parts.join('/') + '.bin';
  }

  function pad(number, width) {
    var text = String(number);
    while (text.length < width) {
      text = '0' + text;
    }
    return text;
  }

  // Records of 16 bytes: the hash's first 8 bytes, the centre code (6 bytes) and the table
  // number (2 bytes), big-endian.
  function findTable(buffer, hash, centreDigits) {
    var view = new DataView(buffer);
    for (var at = 0; at + 16 <= buffer.byteLength; at += 16) {
      var same = true;
      for (var i = 0; i < 8 && same; i++) {
        same = view.getUint8(at + i) === hash[i];
      }
      if (same) {
        var centre = view.getUint16(at + 8) * 4294967296 + view.getUint32(at + 10);
        return pad(centre, centreDigits) + '.' + pad(view.getUint16(at + 14), 2);
      }
    }
    return null;
  }

  // The lanes' job for one worker (or for the page).
  function job(number, data, lanes) {
    return {
      password: number,
      salt: data.salt,
      logN: Number(data.logN),
      r: Number(data.r),
      p: Number(data.p),
      laneCount: Number(data.lanes || 1),
      lanes: lanes
    };
  }

  function xorInto(key, part) {
    for (var i = 0; i < 8; i++) {
      key[i] ^= part[i];
    }
  }

  // Every lane on the page, one after the other, with static/lookup-lane.js's function (loaded
  // before this script): where workers cannot run (a browser without them, or whose worker
  // failed). It needs the page's policy to allow WebAssembly ('wasm-unsafe-eval': Chrome 97,
  // Firefox 102, Safari 16 and later); a worker has its own.
  function keyOnPage(number, data, lanes) {
    return window.veedorLanes(job(number, data, lanes));
  }

  // Workers, one a core (at most one a lane, at most 16), started when the id field is first
  // focused, so that loading them overlaps the typing, and kept for later searches. A team whose
  // worker fails (it could not load, its WebAssembly did not compile) is dropped: every job
  // waiting on it fails, so that its search falls back to the page, and the next search starts
  // a new team.
  var pool = null;
  var jobs = 0;

  function drop(team, reason) {
    team.workers.forEach(function (worker) {
      worker.terminate();
    });
    team.workers = [];
    var waiting = team.waiting;
    team.waiting = {};
    Object.keys(waiting).forEach(function (id) {
      waiting[id].reject(new Error(String(reason)));
    });
    if (pool === team) {
      pool = null;
    }
  }

  // A worker's answer: one share of a job's lanes, combined into its key; the job is done when
  // every share is in. The warm-up's answer (id 0) and answers to dropped jobs wait for nobody.
  function answer(team, message) {
    var waiting = message && team.waiting[message.id];
    if (!waiting) {
      return;
    }
    if (!message.key) {
      drop(team, message.error);
      return;
    }
    xorInto(waiting.key, message.key);
    waiting.left -= 1;
    if (waiting.left === 0) {
      delete team.waiting[message.id];
      waiting.resolve(waiting.key);
    }
  }

  function startTeam(data) {
    var lanes = Number(data.lanes || 1);
    var count = Math.max(1, Math.min(lanes, navigator.hardwareConcurrency || 2, 16));
    var team = { workers: [], waiting: {} };
    try {
      for (var i = 0; i < count; i++) {
        var worker = new Worker(data.worker);
        worker.addEventListener('message', function (event) {
          answer(team, event.data);
        });
        worker.addEventListener('error', function (event) {
          event.preventDefault();
          drop(team, 'worker');
        });
        // A key of next to no cost, whose answer nobody awaits: the worker compiles its
        // WebAssembly now, while the id is typed, rather than after Search.
        worker.postMessage({ id: 0, password: '0', salt: '', logN: 1, r: 1, p: 1, laneCount: 1, lanes: [0] });
        team.workers.push(worker);
      }
    } catch (error) {
      drop(team, error);
      throw error;
    }
    return team;
  }

  function team(data) {
    if (pool === null) {
      pool = startTeam(data);
    }
    return pool;
  }

  // The lanes shared among the team's workers, their answers combined.
  function keyInWorkers(number, data, lanes) {
    var workers = team(data);
    var id = ++jobs;
    return new Promise(function (resolve, reject) {
      var count = Math.min(workers.workers.length, lanes.length);
      workers.waiting[id] = { key: new Uint8Array(8), left: count, resolve: resolve, reject: reject };
      for (var i = 0; i < count; i++) {
        var work = job(number, data, lanes.filter(function (lane, index) {
          return index % count === i;
        }));
        work.id = id;
        workers.workers[i].postMessage(work);
      }
    });
  }

  function deriveKey(number, data) {
    var lanes = [];
    for (var lane = 0; lane < Number(data.lanes || 1); lane++) {
      lanes.push(lane);
    }
    // The form says where its last key was derived (data-derived), for those who check.
    function on(place) {
      return function (key) {
        data.derived = place;
        return key;
      };
    }
    if (window.Worker && data.worker) {
      return new Promise(function (resolve) {
        resolve(keyInWorkers(number, data, lanes));
      })
        .then(on('workers'))
        .catch(function () {
          return keyOnPage(number, data, lanes).then(on('page'));
        });
    }
    return keyOnPage(number, data, lanes).then(on('page'));
  }

  function attach(form) {
    var input = form.querySelector('input[name=voter_id]');
    var status = document.getElementById('lookup-status');
    var data = form.dataset;
    function say(text) {
      if (status) {
        status.textContent = text;
        status.hidden = false;
      }
    }
    // Only the latest search may answer: an earlier one still deriving its key is superseded.
    var latest = 0;
    var superseded = new Error('superseded');
    function search() {
      var mine = ++latest;
      function current(value) {
        if (mine !== latest) {
          throw superseded;
        }
        return value;
      }
      var number = voterNumber(input.value, (data.prefixes || '').split(','));
      if (number === null) {
        say(data.msgInvalid);
        return;
      }
      if (data.kdf !== 'scrypt' || !(window.veedorLanes || window.Worker)) {
        say(data.msgFailed);
        return;
      }
      say(data.msgSearching);
      var hash;
      // The key is slow on purpose (a fraction of a second): derived asynchronously, so the
      // page stays responsive and the status is read out meanwhile.
      deriveKey(number, data)
        .then(current)
        .then(function (key) {
          hash = key;
          return fetch(data.shards + shardPath(hash, Number(data.bits)));
        })
        .then(function (response) {
          if (!response.ok) {
            throw new Error('HTTP ' + response.status);
          }
          return response.arrayBuffer();
        })
        .then(current)
        .then(function (buffer) {
          var table = findTable(buffer, hash, Number(data.centreDigits));
          if (table === null) {
            say(data.msgNotFound);
          } else {
            // A compact mirror has no table pages: the table is a section of its centre's.
            var parts = table.split('.');
            window.location.assign(data.centres
              ? data.centres + parts[0] + '.html#t-' + Number(parts[1])
              : data.tables + table + '.html');
          }
        })
        .catch(function (error) {
          if (error !== superseded) {
            say(data.msgFailed);
          }
        });
    }
    if (window.Worker && data.worker) {
      input.addEventListener('focus', function () {
        try {
          team(data);
        } catch (error) {
          // The search will try again, and fall back to the page.
        }
      }, { once: true });
    }
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      search();
    });
    // A form sent before this script ran lands here with the id in the address.
    var asked = new URLSearchParams(window.location.search).get('voter_id');
    if (asked) {
      input.value = asked;
      search();
    }
  }

  var forms = document.querySelectorAll('form[data-shards]');
  for (var i = 0; i < forms.length; i++) {
    attach(forms[i]);
  }
})();
