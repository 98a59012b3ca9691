// veedor: the voter lookup of a static mirror (docs/mirror.md). The registry is published as
// shards named by the first bits of each voter's key, scrypt(voter id, salt, N, r, p) with the
// parameters the form states (those the transparency log commits to); each shard lists, for the
// voters whose key falls in it, the key's first 8 bytes and their table. This script derives
// the key of what is typed with the vendored scrypt-js (static/scrypt.js, loaded before it),
// fetches the one shard it falls in and opens the voter's table page. What is typed never
// leaves the browser: only the shard's name does, as a file request.
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
      if (!window.scrypt || data.kdf !== 'scrypt') {
        say(data.msgFailed);
        return;
      }
      say(data.msgSearching);
      var encoder = new TextEncoder();
      var hash;
      // The key is slow on purpose (a fifth of a second or so): derived asynchronously, so the
      // page stays responsive and the status is read out meanwhile.
      window.scrypt
        .scrypt(
          encoder.encode(number),
          encoder.encode(data.salt),
          Math.pow(2, Number(data.logN)),
          Number(data.r),
          Number(data.p),
          8
        )
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
