export default `
  type Query {
    dummyQuery(itemId: ID!): DummyObject!
  }
`;
