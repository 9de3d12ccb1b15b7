// The prebuilt bundle has the same API as `simple-peer` (importing that one breaks in a Vite build: DESIGN.md).
declare module 'simple-peer/simplepeer.min.js' { import SimplePeer = require('simple-peer'); export = SimplePeer; }
