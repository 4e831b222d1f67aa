// The CRM's own MongoDB user, with least privilege: read and write its database, and compact its customer-key
// collection (after an erasure the API asks MongoDB to rewrite that collection's storage). Run with mongosh as the
// root user, against the primary; idempotent (a second run sets the password and roles again).
//   CRM_DB                  the database (MONGODB_DB of the apps; default crm)
//   CRM_APP_PASSWORD_FILE   a file holding the user's password
const fs = require('fs');

const dbName = process.env.CRM_DB || 'crm';
const password = fs.readFileSync(process.env.CRM_APP_PASSWORD_FILE, 'utf8').trim();
if (password.length < 16) throw new Error('the crm_app password must have at least 16 characters');

const crm = db.getSiblingDB(dbName);
const compactKeys = {
  privileges: [{ resource: { db: dbName, collection: 'customer_keys' }, actions: ['compact'] }],
  roles: [],
};
if (crm.getRole('crmCompactKeys')) crm.updateRole('crmCompactKeys', compactKeys);
else crm.createRole({ role: 'crmCompactKeys', ...compactKeys });

const roles = [
  { role: 'readWrite', db: dbName },
  { role: 'crmCompactKeys', db: dbName },
];
if (crm.getUser('crm_app')) crm.updateUser('crm_app', { pwd: password, roles });
else crm.createUser({ user: 'crm_app', pwd: password, roles });
print(`crm_app may read and write ${dbName} and compact ${dbName}.customer_keys`);
