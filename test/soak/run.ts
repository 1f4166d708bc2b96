// `npm run soak [-- --seconds N --rate R --clients C]`: the soak at full length (4 minutes at 300
// requests/s unless told otherwise); prints its report and exits 1 if it failed.
import { parseArgs } from 'node:util';
import { formatReport, runSoak } from './soak.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '240' }, rate: { type: 'string', default: '300' }, clients: { type: 'string', default: '200' } },
});
const number = (name: string, text: string, max: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    process.stderr.write(`soak: --${name} expects a whole number from 1 to ${max}, got "${text}"\n`);
    process.exit(2);
  }
  return n;
};
const seconds = number('seconds', values.seconds, 86_400);
const rate = number('rate', values.rate, 100_000);
const clients = number('clients', values.clients, 10_000);
if (seconds < 10) {
  process.stderr.write(`soak: --seconds must be at least 10 (a fault step takes 4.5 s), got ${seconds}\n`);
  process.exit(2);
}
const report = await runSoak({ seconds, rate, clients, say: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(`${formatReport(report)}\n`);
process.exit(report.problems.length === 0 ? 0 : 1);
