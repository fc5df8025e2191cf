/**
 * `cohort`: one command, subcommands per role.
 *   everyone:        enroll (own key and certificate request)
 *   operator:        provision init|sign|add-site|add-user|revoke|crl, coordinator start
 *   hospital IT:     phi scan, site check, site init, site start, site fingerprint, site key-ceremony (key holder), site privacy
 *   data scientist:  run submit|status|watch|list|cancel, simulate, privacy epsilon|noise|plan
 *   everyone:        demo
 *   operator, auditor: audit verify|export, access review, incident list|show
 */
import { Command } from 'commander';
import { registerAccessCommands } from './commands/access.ts';
import { registerAuditCommands } from './commands/audit.ts';
import { registerIncidentCommands } from './commands/incident.ts';
import { registerCoordinatorCommands } from './commands/coordinator.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDicomCommands } from './commands/dicom.ts';
import { registerModelCommands } from './commands/model.ts';
import { registerPhiCommands } from './commands/phi.ts';
import { registerPrivacyCommands } from './commands/privacy.ts';
import { registerProvisionCommands } from './commands/provision.ts';
import { registerRunCommands } from './commands/run.ts';
import { registerSimulateCommand } from './commands/simulate.ts';
import { registerSiteCommands } from './commands/site.ts';

export function buildProgram(): Command {
  const program = new Command('cohort')
    .description('Federated learning for hospital consortia: mTLS gRPC, encrypted aggregation, differential privacy')
    .version('0.1.0')
    .showHelpAfterError()
    .addHelpCommand(true);
  registerProvisionCommands(program);
  registerCoordinatorCommands(program);
  registerSiteCommands(program);
  registerRunCommands(program);
  registerModelCommands(program);
  registerSimulateCommand(program);
  registerPrivacyCommands(program);
  registerDemoCommand(program);
  registerAuditCommands(program);
  registerAccessCommands(program);
  registerIncidentCommands(program);
  registerDicomCommands(program);
  registerPhiCommands(program);
  return program;
}
