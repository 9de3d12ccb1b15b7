import { showStartError, startPage } from '../../client/page.ts';
import { installLinkTestHook } from './link-test-hook.ts';
import { pageOptionsFromQuery } from './page-knobs.ts';

// The page the tests and benchmarks build (buildPage in harness.ts) in place of client/main.ts: the same page,
// with the knobs of page-knobs.ts read from the URL, and the link test hook installed on ?linkTestHook.

startPage(pageOptionsFromQuery(location.search)).then(({ links }) => {
  if (new URLSearchParams(location.search).has('linkTestHook')) installLinkTestHook(links);
}).catch(showStartError);
