// The types a program sees are written out in the SDK (so that they depend on @pulumi/pulumi alone);
// these checks keep them equal to what the provider validates.
import { strict as assert } from "node:assert";
import { MAPPING_MODES, type MappingMode as ValidatedMappingMode } from "../../provider";
import type { MappingMode } from "../../sdk";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// A compile-time check: this line stops compiling when the two types part.
const mappingModesAgree: Same<MappingMode, ValidatedMappingMode> = true;

describe("the SDK's written-out types", () => {
  it("spell MappingMode as the provider validates it", () => {
    assert.equal(mappingModesAgree, true);
    assert.deepEqual([...MAPPING_MODES].sort(), ["none", "unset", "username"] satisfies MappingMode[]);
  });
});
