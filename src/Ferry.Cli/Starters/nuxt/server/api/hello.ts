export default defineEventHandler((event) => {
  const { name } = getQuery(event)
  return { app: '{{name}}', framework: 'nuxt', greeting: `Hello, ${typeof name === 'string' && name ? name : 'world'}!` }
})
