import { showStartError, startPage } from './page.ts';

// The page every student loads: the classroom page with every default. Tests and benchmarks build their own
// entry instead (test/e2e/test-page.ts, with knobs read from the URL), so none of theirs ship here.

startPage().catch(showStartError);
