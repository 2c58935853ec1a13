/** Local-development defaults, applied by `npm start` only when the variable is unset. */
export const DEV_ADMIN_KEY = 'hookferry-dev-admin-key';
export const DEV_ALLOWED_CIDRS = '127.0.0.0/8,::1/128';
