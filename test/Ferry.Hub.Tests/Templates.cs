namespace Ferry.Hub.Tests;

/// <summary>Template manifests shared by the tests.</summary>
internal static class Templates
{
    /// <summary>A Node function reading three parameters, one of them secret, and a closed-source provided function.</summary>
    public const string Resizer = """
        service: resizer
        provider:
          name: aws
          runtime: nodejs20.x
          memorySize: 256
        template:
          name: image-resizer
          version: 1.0.0
          description: Resizes uploaded images
          readme: README.md
          author: Jane Doe
          license: MIT
          labels: [images, media]
          closedSource: [native]
          parameters:
            - name: size
              type: enum
              allowedValues: [small, large]
              default: small
            - name: replicas
              type: number
              minimum: 1
              maximum: 10
              default: 2
            - name: apiKey
              description: Key of the image service
              required: true
              secret: true
              pattern: '[A-Za-z0-9]{8,}'
        functions:
          resize:
            handler: handler.resize
            environment:
              SIZE: ${param:size}
              REPLICAS: ${param:replicas}
              API_KEY: ${param:apiKey}
            events:
              - httpApi: 'POST /resize'
          native:
            runtime: provided
            events:
              - httpApi: 'GET /native'
        """;

    public static TemporaryApp ResizerApp() =>
        new TemporaryApp(Resizer)
            .Write("README.md", "# Image resizer\n\nResizes images.\n")
            .Write("handler.js", "exports.resize = async () => ({ statusCode: 200 });\n")
            .Write("bootstrap", "\u007fELF pretend this is a compiled binary\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
}
