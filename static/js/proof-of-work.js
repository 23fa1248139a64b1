/*
 * Proof of work for the booking and lookup forms (server side: booking/appointments/proof_of_work.py).
 *
 * The page carries a challenge: find the number n (0..maxnumber) with sha256(salt + n) == challenge.
 * This script starts working on it as soon as the page loads, in short slices so the page stays
 * responsive, and puts the answer in the form's hidden "pow" field (ALTCHA's payload: base64 of a
 * JSON object). A form sent before the answer is found waits for it and is then sent by the script.
 * Self-contained: no third-party service, no network request, works offline; SHA-256 is computed
 * here rather than with crypto.subtle, which browsers offer only on https or localhost.
 */
(function () {
  "use strict";

  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ]);
  var H0 = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  var W = new Int32Array(64);

  function rotr(x, n) {
    return (x >>> n) | (x << (32 - n));
  }

  /* SHA-256 of an ASCII string (the salt is hex and "?expires=<digits>", the number digits), as
   * eight signed 32-bit words: comparing words is several times faster than building hex strings. */
  function sha256Words(text) {
    var length = text.length;
    var blocks = ((length + 8) >> 6) + 1;
    var words = new Int32Array(blocks * 16);
    var i;
    for (i = 0; i < length; i++) words[i >> 2] |= (text.charCodeAt(i) & 0xff) << (24 - (i % 4) * 8);
    words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
    words[words.length - 1] = length * 8;

    var h = new Int32Array(H0);
    for (var block = 0; block < words.length; block += 16) {
      for (i = 0; i < 64; i++) {
        if (i < 16) {
          W[i] = words[block + i];
        } else {
          var s0 = rotr(W[i - 15], 7) ^ rotr(W[i - 15], 18) ^ (W[i - 15] >>> 3);
          var s1 = rotr(W[i - 2], 17) ^ rotr(W[i - 2], 19) ^ (W[i - 2] >>> 10);
          W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
        }
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
      for (i = 0; i < 64; i++) {
        var t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
        var t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
      h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + k) | 0;
    }
    return h;
  }

  function hexToWords(hex) {
    var words = [];
    for (var i = 0; i < 8; i++) words.push(parseInt(hex.slice(i * 8, i * 8 + 8), 16) | 0);
    return words;
  }

  function matches(words, target) {
    for (var i = 0; i < 8; i++) if (words[i] !== target[i]) return false;
    return true;
  }

  function setUp(input) {
    var form = input.form;
    var status = form.querySelector("[data-pow-status]");
    var challenge;
    try {
      challenge = JSON.parse(input.getAttribute("data-pow-challenge"));
    } catch (error) {
      return;
    }
    var target = hexToWords(String(challenge.challenge));
    var number = 0;
    var solved = false;
    var sendWhenSolved = false;

    function say(text) {
      if (status) {
        status.textContent = text;
        status.hidden = false;
      }
    }

    function answer(found) {
      return window.btoa(JSON.stringify({
        algorithm: challenge.algorithm,
        challenge: challenge.challenge,
        number: found,
        salt: challenge.salt,
        signature: challenge.signature
      }));
    }

    function work() {
      // Slices of about 40 ms: the page stays responsive, and a background tab still progresses.
      var until = Date.now() + 40;
      while (number <= challenge.maxnumber) {
        if (matches(sha256Words(challenge.salt + number), target)) {
          input.value = answer(number);
          solved = true;
          form.setAttribute("data-pow-solved", "");
          if (sendWhenSolved) {
            say("Sending…");
            form.submit();
          }
          return;
        }
        number += 1;
        if (number % 500 === 0 && Date.now() > until) {
          window.setTimeout(work, 0);
          return;
        }
      }
      say("Your browser could not complete the check. Please reload the page and try again.");
    }

    form.addEventListener("submit", function (event) {
      if (solved) return;
      event.preventDefault();
      sendWhenSolved = true;
      say("Checking that you are not an automated program: one moment…");
    });
    work();
  }

  function start() {
    var inputs = document.querySelectorAll("input[data-pow-challenge]");
    for (var i = 0; i < inputs.length; i++) setUp(inputs[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
