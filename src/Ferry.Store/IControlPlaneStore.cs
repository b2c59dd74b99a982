namespace Ferry.Store;

/// <summary>Everything the server keeps about apps, access and templates, in one database (SQLite or PostgreSQL).</summary>
public interface IControlPlaneStore : IFerryStore, IAccessStore, IHubStore, IQuotaStore, IApiKeyStore, ICustomDomainStore
{
}
