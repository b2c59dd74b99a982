using System.Diagnostics.CodeAnalysis;
using Ferry.Runtime.Pooling;
using Ferry.Server.Deployments;
using Ferry.Triggers.Lambda;

namespace Ferry.Server.Lambda;

/// <summary>
/// Finds the function a Lambda API call names among the app stages being served: by its Lambda-style name
/// <c>service-stage-function</c> in the region of the ARN (else the caller's). SDKs sign for a region of their own
/// (boto3 and the JavaScript SDK usually <c>us-east-1</c>), so when no function of that name is deployed in that region
/// but exactly one is deployed in another (typically the default region <c>local</c>), that one is found. A region
/// written in an ARN is taken at its word.
/// Only the active revision is served: <c>$LATEST</c>, no qualifier, or that revision's number.
/// </summary>
internal sealed class LambdaFunctionResolver(LiveApps live)
{
    public bool TryResolve(LambdaFunctionName name, string callerRegion, string tenant,
        [NotNullWhen(true)] out ResolvedFunction? resolved, [NotNullWhen(false)] out LambdaError? error)
    {
        resolved = null;
        var region = name.Region ?? callerRegion;
        var arn = $"arn:aws:lambda:{region}:000000000000:function:{name.Name}" + (name.Qualifier is null ? "" : ":" + name.Qualifier);
        var named = (
            from app in live.All
            where app.AppStage.Tenant == tenant
            from pool in app.Deployed.Pools.Values
            where pool.Function.QualifiedName == name.Name
            select new ResolvedFunction(app, pool)).ToList();
        var matches = named.Where(match => match.App.AppStage.Region == region).ToList();
        if (matches.Count == 0 && named.Count == 1 && name.Region is null)
        {
            matches = named;
        }

        if (matches.Count == 0)
        {
            error = LambdaError.ResourceNotFound($"Function not found: {arn}");
            return false;
        }

        if (matches.Count > 1)
        {
            var candidates = string.Join(", ", matches.Select(m => m.Pool.Function.ToString()));
            error = LambdaError.Conflict($"The name '{name.Name}' matches several functions in region '{region}' ({candidates}); rename one of them");
            return false;
        }

        var match = matches[0];
        if (name.Qualifier is not null and not LambdaFunctionName.Latest)
        {
            if (!name.TryGetVersion(out var version))
            {
                error = LambdaError.ResourceNotFound($"Function not found: {arn} (aliases are not supported; use $LATEST or a revision number)");
                return false;
            }

            if (version != match.App.Revision.Number)
            {
                error = LambdaError.ResourceNotFound($"Function not found: {arn} (only the active revision {match.App.Revision.Number} is served)");
                return false;
            }
        }

        resolved = match;
        error = null;
        return true;
    }
}

internal sealed record ResolvedFunction(LiveApp App, InstancePool Pool);
