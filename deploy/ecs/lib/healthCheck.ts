/**
 * The liveness probe, shared by the Dockerfile's HEALTHCHECK (a test checks
 * the Dockerfile carries this exact script) and the ECS container health
 * check. Slim images have no curl, so node's own fetch asks /healthz.
 */
export const HEALTHCHECK_SCRIPT =
  "fetch('http://127.0.0.1:'+(process.env.KL_METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))";

export const HEALTHCHECK_COMMAND = ['node', '-e', HEALTHCHECK_SCRIPT];
