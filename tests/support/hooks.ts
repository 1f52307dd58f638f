// Root hooks for every mocha run (loaded through .mocharc.json "require").
export const mochaHooks = {};
