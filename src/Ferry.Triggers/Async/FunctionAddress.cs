namespace Ferry.Triggers.Async;

/// <summary>
/// The function an event is for. The app stage is named by id as well, so an event for an app stage that was removed
/// (and maybe deployed again since, under a new id) is recognised as having lost its target.
/// </summary>
public sealed record FunctionAddress(string Tenant, long AppStageId, string Service, string Stage, string Region, string Function)
{
    public override string ToString() => $"{Service}/{Stage}@{Region}/{Function}";
}
