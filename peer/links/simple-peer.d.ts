// The prebuilt bundle has the same API as `simple-peer` (importing that one breaks in a Vite build: "global is not defined", then missing Node stream polyfills).
declare module 'simple-peer/simplepeer.min.js' { import SimplePeer = require('simple-peer'); export = SimplePeer; }
