import { stopSharedEmulator } from "./emulator";

// Root hooks for every mocha run (loaded through .mocharc.json "require").
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopSharedEmulator();
  },
};
