/**
 * The one Pulumi CLI version this project runs and is tested with: `npm run pulumi-cli` provisions
 * exactly this, the demo and the end-to-end tests run it, and the README names it.
 */
export const PULUMI_CLI_VERSION = "3.274.1";

/**
 * The newest release in which Pulumi's Node.js language host was a package of `sdk/v3`, so that the
 * Go module proxy serves it by a tag. Since v3.69.0 it is a module of its own that has never been
 * tagged, and a proxy that only serves tagged versions cannot hand it out. Built only when the host
 * matching {@link PULUMI_CLI_VERSION} cannot be had; it speaks the language-host protocol of its time,
 * which the CLI still accepts (checked by the end-to-end test of the program-directory path).
 */
export const COMPATIBILITY_LANGUAGE_HOST_VERSION = "3.68.0";
