namespace Ferry.Hub.Tests;

public class TemplateParameterValidatorTests
{
    private static readonly TemplateDefinition Definition = TemplateDefinitionReader.Parse("""
        service: demo
        provider:
          environment:
            A: ${param:replicas} ${param:size} ${param:apiKey} ${param:debug} ${param:note} ${param:region}
        template:
          name: demo
          version: 1.0.0
          description: demo
          parameters:
            - name: replicas
              type: number
              minimum: 1
              maximum: 10
              default: 2
            - name: size
              type: enum
              allowedValues: [small, large]
              default: small
            - name: apiKey
              required: true
              secret: true
              pattern: '[A-Za-z0-9]{8,}'
            - name: debug
              type: boolean
              default: false
            - name: note
            - name: region
              pattern: '[a-z]+-[0-9]'
              default: eu-1
        """, "serverless.yml").Definition;

    private static Dictionary<string, string> Values(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(pair => pair.Key, pair => pair.Value);

    [Fact]
    public void Resolves_supplied_values_and_defaults()
    {
        var result = TemplateParameterValidator.Validate(Definition, Values(("apiKey", "abcdefgh123"), ("replicas", "5"), ("debug", "TRUE")));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("5", result.Values["replicas"]);
        Assert.Equal("small", result.Values["size"]);
        Assert.Equal("abcdefgh123", result.Values["apiKey"]);
        Assert.Equal("true", result.Values["debug"]);
        Assert.Equal("", result.Values["note"]);
        Assert.Equal(ParameterValueSource.Supplied, result.Parameters.Single(p => p.Name == "replicas").Source);
        Assert.Equal(ParameterValueSource.Default, result.Parameters.Single(p => p.Name == "size").Source);
        Assert.Equal(ParameterValueSource.Empty, result.Parameters.Single(p => p.Name == "note").Source);
    }

    [Fact]
    public void Reports_one_clear_error_per_parameter()
    {
        var result = TemplateParameterValidator.Validate(Definition,
            Values(("replicas", "eleven"), ("size", "huge"), ("debug", "maybe"), ("region", "EU"), ("colour", "red")));

        Assert.False(result.IsValid);
        var errors = result.Errors.Select(error => error.ToString()).ToList();
        Assert.Equal(
        [
            "param 'colour': is not a parameter of demo@1.0.0 (declared: replicas, size, apiKey, debug, note, region)",
            "param 'replicas': must be a number between 1 and 10, got 'eleven'",
            "param 'size': must be one of 'small', 'large', got 'huge'",
            "param 'apiKey': is required; supply it with --param apiKey=VALUE",
            "param 'debug': must be true or false, got 'maybe'",
            "param 'region': must match the pattern [a-z]+-[0-9], got 'EU'",
        ], errors);
    }

    [Fact]
    public void Checks_number_ranges()
    {
        var result = TemplateParameterValidator.Validate(Definition, Values(("apiKey", "abcdefgh123"), ("replicas", "11")));

        Assert.Equal("param 'replicas': must be a number between 1 and 10, got '11'", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void Never_echoes_a_secret_value_in_errors()
    {
        var result = TemplateParameterValidator.Validate(Definition, Values(("apiKey", "short!")));

        var error = Assert.Single(result.Errors);
        Assert.Equal("param 'apiKey': must match the pattern [A-Za-z0-9]{8,}", error.ToString());
        Assert.DoesNotContain("short!", result.ToString());
    }

    [Fact]
    public void Redacts_secrets_for_display()
    {
        var result = TemplateParameterValidator.Validate(Definition, Values(("apiKey", "abcdefgh123")));

        Assert.Equal(RedactedParameters.Mask, result.Redacted["apiKey"]);
        Assert.Equal("2", result.Redacted["replicas"]);
        Assert.True(result.Redacted.TryGetValue("apiKey", out var masked) && masked == RedactedParameters.Mask);
        Assert.DoesNotContain("abcdefgh123", result.Redacted.ToString());
        Assert.DoesNotContain("abcdefgh123", string.Join(",", result.Redacted.Values));
        Assert.DoesNotContain("abcdefgh123", result.ToString());
        Assert.DoesNotContain("abcdefgh123", string.Join(",", result.Parameters));
        Assert.Contains("replicas=2", result.Redacted.ToString());
    }

    [Fact]
    public void Upgrade_keeps_previous_values_and_gives_new_parameters_their_defaults()
    {
        var previous = Values(("apiKey", "oldkey12345"), ("replicas", "7"), ("removedParam", "x"));

        var result = TemplateParameterValidator.Validate(Definition, Values(("size", "large")), previous);

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("oldkey12345", result.Values["apiKey"]);
        Assert.Equal("7", result.Values["replicas"]);
        Assert.Equal("large", result.Values["size"]);
        Assert.Equal("eu-1", result.Values["region"]);
        Assert.False(result.Values.ContainsKey("removedParam"));
        Assert.Equal(ParameterValueSource.Previous, result.Parameters.Single(p => p.Name == "replicas").Source);
    }

    [Fact]
    public void Upgrade_requires_new_required_parameters_and_rechecks_kept_values()
    {
        var previous = Values(("replicas", "50"));

        var result = TemplateParameterValidator.Validate(Definition, Values(), previous);

        Assert.Equal(
        [
            "param 'replicas': the value kept from the installed version no longer fits: it must be a number between 1 and 10, got '50'; supply a new one with --param replicas=VALUE",
            "param 'apiKey': is required (it is new in this version); supply it with --param apiKey=VALUE",
        ], result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void A_required_parameter_must_not_be_empty()
    {
        var result = TemplateParameterValidator.Validate(Definition, Values(("apiKey", "")));

        Assert.Equal("param 'apiKey': is required and must not be empty", Assert.Single(result.Errors).ToString());
    }
}
