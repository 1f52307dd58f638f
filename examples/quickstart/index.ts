// `pulumi up` at the repository root runs this file (see Pulumi.yaml). The program itself is in
// automation/quickstart/program.ts, which the demo and the end-to-end tests also run inline.
import { quickstartProgram } from "../../automation/quickstart/program";

export = quickstartProgram();
