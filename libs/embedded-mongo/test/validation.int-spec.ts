import { type CollectionInfo, type Db, type MongoClient } from 'mongodb';
import { type AnyDoc, closeTestDatabase, openTestDatabase, serverError } from './test-database';

const productSchema = {
  $jsonSchema: {
    bsonType: 'object',
    title: 'Product',
    required: ['name', 'price'],
    properties: {
      name: { bsonType: 'string', minLength: 2 },
      price: { bsonType: ['int', 'double'], minimum: 0, description: 'a positive number' },
      tags: { bsonType: 'array', items: { bsonType: 'string' } },
    },
  },
};

describe('embedded-mongo: schema validation', () => {
  let handle: { client: MongoClient; db: Db };
  let db: Db;

  beforeAll(async () => {
    handle = await openTestDatabase('validation');
    db = handle.db;
  });
  afterAll(async () => closeTestDatabase(handle));

  it('a $jsonSchema validator refuses a failing insert with 121 and errInfo naming each rule', async () => {
    await db.createCollection('products', { validator: productSchema });
    const products = db.collection<AnyDoc>('products');
    await products.insertOne({ _id: 1, name: 'pen', price: 2, tags: ['office'] });
    const error = await serverError(products.insertOne({ _id: 2, price: -3 }));
    expect(error.code).toBe(121);
    expect(error.message).toBe('Document failed validation');
    expect(error.errInfo).toEqual({
      failingDocumentId: 2,
      details: {
        operatorName: '$jsonSchema',
        title: 'Product',
        schemaRulesNotSatisfied: [
          {
            operatorName: 'required',
            specifiedAs: { required: ['name', 'price'] },
            missingProperties: ['name'],
          },
          {
            operatorName: 'properties',
            propertiesNotSatisfied: [
              {
                propertyName: 'price',
                description: 'a positive number',
                details: [
                  {
                    operatorName: 'minimum',
                    specifiedAs: { minimum: 0 },
                    reason: 'comparison failed',
                    consideredValue: -3,
                  },
                ],
              },
            ],
          },
        ],
      },
    });
    expect(await products.countDocuments()).toBe(1);
  });

  it('bsonType failures report the considered type', async () => {
    const products = db.collection<AnyDoc>('products');
    const error = await serverError(products.insertOne({ _id: 3, name: 7, price: 1 }));
    const details = (error.errInfo as { details: { schemaRulesNotSatisfied: unknown[] } }).details;
    expect(details.schemaRulesNotSatisfied).toEqual([
      {
        operatorName: 'properties',
        propertiesNotSatisfied: [
          {
            propertyName: 'name',
            details: [
              {
                operatorName: 'bsonType',
                specifiedAs: { bsonType: 'string' },
                reason: 'type did not match',
                consideredValue: 7,
                consideredType: 'int',
              },
            ],
          },
        ],
      },
    ]);
  });

  it('updates are validated too, and an ordered bulk stops at the failing one', async () => {
    const products = db.collection<AnyDoc>('products');
    const update = await serverError(products.updateOne({ _id: 1 }, { $set: { price: 'free' } }));
    expect(update.code).toBe(121);
    const bulk = await serverError(
      products.insertMany([
        { _id: 10, name: 'ink', price: 1 },
        { _id: 11, name: 'x', price: 1 },
        { _id: 12, name: 'cap', price: 1 },
      ]),
    );
    expect(bulk.code).toBe(121);
    expect((await products.find({}, { sort: { _id: 1 } }).toArray()).map((d) => d._id)).toEqual([
      1, 10,
    ]);
    const fam = await serverError(products.findOneAndUpdate({ _id: 1 }, { $unset: { name: '' } }));
    expect(fam.code).toBe(121);
    expect(fam.errInfo).toMatchObject({ failingDocumentId: 1 });
  });

  it('bypassDocumentValidation lets a write through', async () => {
    const products = db.collection<AnyDoc>('products');
    await products.insertOne({ _id: 20, price: -1 }, { bypassDocumentValidation: true });
    await products.updateOne(
      { _id: 20 },
      { $set: { price: -2 } },
      { bypassDocumentValidation: true },
    );
    expect(await products.findOne({ _id: 20 })).toEqual({ _id: 20, price: -2 });
  });

  it('a query-operator validator reports the operator, what was specified and why', async () => {
    await db.createCollection('contacts', {
      validator: { $or: [{ phone: { $type: 'string' } }, { email: { $regex: /@example\.com$/ } }] },
    });
    const error = await serverError(
      db.collection<AnyDoc>('contacts').insertOne({ _id: 'c1', phone: 123, email: 'a@b.org' }),
    );
    expect(error.code).toBe(121);
    expect(error.errInfo).toEqual({
      failingDocumentId: 'c1',
      details: {
        operatorName: '$or',
        clausesNotSatisfied: [
          {
            index: 0,
            details: {
              operatorName: '$type',
              specifiedAs: { phone: { $type: 'string' } },
              reason: 'type did not match',
              consideredValue: 123,
              consideredType: 'int',
            },
          },
          {
            index: 1,
            details: {
              operatorName: '$regex',
              specifiedAs: { email: { $regex: /@example\.com$/ } },
              reason: 'regular expression did not match',
              consideredValue: 'a@b.org',
            },
          },
        ],
      },
    });
    await db.collection<AnyDoc>('contacts').insertOne({ _id: 'c2', phone: '555' });
  });

  it('validationAction warn accepts the document', async () => {
    await db.createCollection('lenient', {
      validator: { qty: { $gte: 0 } },
      validationAction: 'warn',
    });
    await db.collection<AnyDoc>('lenient').insertOne({ _id: 1, qty: -5 });
    expect(await db.collection<AnyDoc>('lenient').countDocuments()).toBe(1);
  });

  it('collMod adds a validator; moderate leaves invalid existing documents updatable, strict does not', async () => {
    const items = db.collection<AnyDoc>('items');
    await items.insertMany([
      { _id: 'bad', qty: -1 },
      { _id: 'good', qty: 1 },
    ]);
    await db.command({
      collMod: 'items',
      validator: { qty: { $gte: 0 } },
      validationLevel: 'moderate',
    });
    await items.updateOne({ _id: 'bad' }, { $set: { note: 'still negative' } });
    const fromValid = await serverError(items.updateOne({ _id: 'good' }, { $set: { qty: -2 } }));
    expect(fromValid.code).toBe(121);
    const insert = await serverError(items.insertOne({ _id: 'new', qty: -3 }));
    expect(insert.code).toBe(121);
    await db.command({ collMod: 'items', validationLevel: 'strict' });
    const strict = await serverError(items.updateOne({ _id: 'bad' }, { $set: { note: 'again' } }));
    expect(strict.code).toBe(121);
    await db.command({ collMod: 'items', validationLevel: 'off' });
    await items.insertOne({ _id: 'off', qty: -9 });
    const [info] = (await db.listCollections({ name: 'items' }).toArray()) as CollectionInfo[];
    expect(info.options).toEqual({
      validator: { qty: { $gte: 0 } },
      validationLevel: 'off',
      validationAction: 'error',
    });
  });

  it('listCollections shows the validator given at create with its level and action', async () => {
    const [info] = (await db.listCollections({ name: 'products' }).toArray()) as CollectionInfo[];
    expect(info.options).toEqual({
      validator: productSchema,
      validationLevel: 'strict',
      validationAction: 'error',
    });
  });

  it('refuses invalid validation options and collMod options it does not support', async () => {
    const level = await serverError(
      db.createCollection('bad_level', {
        validator: { a: 1 },
        validationLevel: 'sometimes',
      }),
    );
    expect(level.code).toBe(2);
    const keyword = await serverError(
      db.createCollection('bad_schema', {
        validator: { $jsonSchema: { bsonType: 'object', frobs: 1 } },
      }),
    );
    expect(keyword.message).toBe('Unknown $jsonSchema keyword: frobs');
    const unsupported = await serverError(
      db.command({ collMod: 'items', index: { keyPattern: { a: 1 }, hidden: true } }),
    );
    expect(unsupported.code).toBe(72);
    expect(unsupported.message).toContain("collMod option 'index' is not supported");
    const missing = await serverError(db.command({ collMod: 'nowhere', validationLevel: 'off' }));
    expect(missing.code).toBe(26);
  });
});
