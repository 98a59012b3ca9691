// veedor: the voter lookup of a static mirror (docs/mirror.md). The registry is published as
// shards named by the first bits of SHA-256(salt || voter id); each shard lists, for the voters
// whose hash falls in it, the first 8 bytes of that hash and their table. This script hashes
// what is typed, fetches the one shard it falls in and opens the voter's table page. What is
// typed never leaves the browser: only the shard's name does, as a file request.
(function () {
  'use strict';

  // SHA-256 (FIPS 180-4), small and synchronous. Browsers have crypto.subtle.digest, but only
  // in secure contexts (https, localhost): a mirror may be served over plain http.
  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];

  function rotr(x, n) {
    return (x >>> n) | (x << (32 - n));
  }

  function sha256(bytes) {
    var length = bytes.length;
    var total = ((length + 9 + 63) >> 6) << 4; // 32-bit words, whole 64-byte blocks
    var words = new Uint32Array(total);
    var i;
    for (i = 0; i < length; i++) {
      words[i >> 2] |= bytes[i] << (24 - (i & 3) * 8);
    }
    words[length >> 2] |= 0x80 << (24 - (length & 3) * 8);
    words[total - 1] = length * 8;
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var w = new Array(64);
    for (var block = 0; block < total; block += 16) {
      var t;
      for (t = 0; t < 16; t++) {
        w[t] = words[block + t] | 0;
      }
      for (t = 16; t < 64; t++) {
        var x = w[t - 15];
        var y = w[t - 2];
        var s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
        var s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
      for (t = 0; t < 64; t++) {
        var t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
        var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        k = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0;
      h[1] = (h[1] + b) | 0;
      h[2] = (h[2] + c) | 0;
      h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0;
      h[5] = (h[5] + f) | 0;
      h[6] = (h[6] + g) | 0;
      h[7] = (h[7] + k) | 0;
    }
    var out = new Uint8Array(32);
    for (i = 0; i < 32; i++) {
      out[i] = (h[i >> 2] >>> (24 - (i & 3) * 8)) & 255;
    }
    return out;
  }

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
    function search() {
      var number = voterNumber(input.value, (data.prefixes || '').split(','));
      if (number === null) {
        say(data.msgInvalid);
        return;
      }
      say(data.msgSearching);
      var hash = sha256(new TextEncoder().encode(data.salt + number));
      fetch(data.shards + shardPath(hash, Number(data.bits)))
        .then(function (response) {
          if (!response.ok) {
            throw new Error('HTTP ' + response.status);
          }
          return response.arrayBuffer();
        })
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
        .catch(function () {
          say(data.msgFailed);
        });
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
