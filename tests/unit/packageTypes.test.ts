// The types a program sees are written out (so that a program's type check needs nothing but
// @pulumi/pulumi, and for /provider and /emulator nothing from zod or fastify); these checks keep
// each equal to the schema or type it stands for.
import { strict as assert } from "node:assert";
import type { z } from "zod";
import type { FaultConfig, RateLimit, Seeds } from "../../emulator";
import { faultConfigSchema } from "../../emulator/http/faults";
import { rateLimitSchema } from "../../emulator/http/rateLimiter";
import type { ParsedSeeds } from "../../emulator/seeds";
import { MAPPING_MODES, type LakebaseConnectionInputs, type MappingMode as ValidatedMappingMode } from "../../provider";
import type { CheckedConnectionArgs } from "../../provider/resources/lakebaseConnection";
import type { MappingMode } from "../../sdk";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// Compile-time checks: a line stops compiling when its two types part.
const agreements = {
  mappingMode: true satisfies Same<MappingMode, ValidatedMappingMode>,
  connectionInputs: true satisfies Same<LakebaseConnectionInputs, CheckedConnectionArgs>,
  faultConfig: true satisfies Same<FaultConfig, z.input<typeof faultConfigSchema>>,
  rateLimit: true satisfies Same<RateLimit, z.output<typeof rateLimitSchema>>,
  seeds: true satisfies Same<Seeds, ParsedSeeds>,
};

describe("the written-out public types", () => {
  it("agree with what the provider validates and the emulator parses", () => {
    assert.deepEqual(Object.values(agreements), [true, true, true, true, true]);
    assert.deepEqual([...MAPPING_MODES].sort(), ["none", "unset", "username"] satisfies MappingMode[]);
  });
});
