import { register } from 'tsx/esm/api';
register();
const t=performance.now();
await import('/work/wt/perf/edge/agent.ts');
console.log('agent import ms', Math.round(performance.now()-t), 'rss MiB', Math.round(process.memoryUsage().rss/2**20));
