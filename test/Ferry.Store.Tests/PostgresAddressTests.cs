using Ferry.Store.Postgres;

namespace Ferry.Store.Tests;

public sealed class PostgresAddressTests
{
    [Fact]
    public void A_url_gives_user_password_host_port_database_and_options()
    {
        var address = PostgresAddress.Parse("postgres://ferry:p%40ss%3Aword@db.internal:6543/control?sslmode=disable&Timeout=7");

        var builder = new Npgsql.NpgsqlConnectionStringBuilder(address.ConnectionString);
        Assert.Equal(("ferry", "p@ss:word", "db.internal", 6543, "control"), (builder.Username, builder.Password, builder.Host, builder.Port, builder.Database));
        Assert.Equal(7, builder.Timeout);
        Assert.Equal("db.internal:6543/control", address.ToString());
    }

    [Theory]
    [InlineData("postgresql://u:pw@localhost/ferry", "localhost:5432/ferry")]
    [InlineData("Host=127.0.0.1;Port=5433;Username=u;Password=pw;Database=ferry", "127.0.0.1:5433/ferry")]
    [InlineData("Host=127.0.0.1;Username=u;Password=pw;Database=ferry", "127.0.0.1:5432/ferry")]
    public void Urls_and_connection_strings_are_accepted_and_described_without_the_password(string setting, string described)
    {
        var address = PostgresAddress.Parse(setting);

        Assert.Equal(described, address.ToString());
        Assert.Equal($"PostgreSQL at {described}", StoreLocation.Resolve(setting, "/unused").ToString());
    }

    [Theory]
    [InlineData("mysql-ish nonsense")]
    [InlineData("postgres://u:topsecret@/ferry")]
    [InlineData("Username=u;Password=topsecret")]
    [InlineData("postgres://u:topsecret@host/db?NoSuchOption=1")]
    public void Unusable_settings_are_refused_without_showing_the_password(string setting)
    {
        var error = Assert.Throws<FormatException>(() => PostgresAddress.Parse(setting));

        Assert.DoesNotContain("topsecret", error.Message);
    }

    [Fact]
    public void No_setting_means_sqlite_in_the_data_folder()
    {
        var location = StoreLocation.Resolve(null, "/srv/ferry");

        Assert.Equal(Path.Combine("/srv/ferry", "ferry.db"), location.SqlitePath);
        Assert.Null(location.Postgres);
    }
}
