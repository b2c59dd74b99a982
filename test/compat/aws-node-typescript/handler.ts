export async function hello(event) {
  return {
    message: 'Go Serverless v3! Your function executed successfully!',
    input: event,
  };
}
