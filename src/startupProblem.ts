/**
 * A reason Hookferry cannot start that the user can fix (a missing tool, an unsafe setting): its
 * message says what to do, so it is shown as it is, without a stack trace.
 */
export class StartupProblem extends Error {
  override name = 'StartupProblem';
}
