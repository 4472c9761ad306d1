// kubernetes-models, @kubernetes-models/* and openid-client (with its jose and oauth4webapi, loaded by
// @kubernetes/client-node) export their modules under the `import` condition only, which
// jest's CommonJS resolver does not take: resolve those packages (and their own imports) with it.
const ESM_ONLY = /^(kubernetes-models|@kubernetes-models\/[^/]+|openid-client|oauth4webapi|jose)(\/|$)/;

module.exports = (request, options) =>
  ESM_ONLY.test(request)
    ? options.defaultResolver(request, { ...options, conditions: ['import', 'default'] })
    : options.defaultResolver(request, options);
