import { availableParallelism } from "os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Test files side by side: at least two (vitest's own default is one less than the CPUs, so one on a 2-core
    // machine). The groups run one after the other: the offline files among themselves first, then the e2e files,
    // each on sandbox hosts of its own, whose runs mostly wait (boots, gates, settles) rather than compute.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          name: "offline",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/e2e/**", "node_modules/**"],
          testTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "e2e",
          include: ["tests/e2e/**/*.test.ts"],
          // One sandbox host, one stack per file: its scenarios run in order.
          sequence: { concurrent: false, groupOrder: 1 },
          testTimeout: 1_800_000,
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
});
