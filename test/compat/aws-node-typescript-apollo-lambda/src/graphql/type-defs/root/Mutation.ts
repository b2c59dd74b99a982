export default `
  type Mutation {
    dummyMutation(input: DummyInput!): Boolean!
  }
`;
