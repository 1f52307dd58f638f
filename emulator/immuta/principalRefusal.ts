/**
 * Why Immuta cannot act as a connection's service principal; the message is safe to show (no
 * secrets). A transient refusal (the token endpoint kept failing) is worth retrying; the others
 * need a change to the credentials or to the principal's privileges.
 */
export class PrincipalRefusal extends Error {
  override readonly name = "PrincipalRefusal";

  constructor(
    message: string,
    readonly transient = false,
  ) {
    super(message);
  }
}
