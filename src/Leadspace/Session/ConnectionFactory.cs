using System;
using System.Net.Http;
using System.Security;
using System.Threading;
using Leadspace.Auth;
using Leadspace.Http;
using Leadspace.RateLimiting;
using Leadspace.RateLimiting.Shared;

namespace Leadspace.Session
{
    /// <summary>A connection could not be made; the ids and categories are those of the cmdlet's ErrorRecord.</summary>
    public sealed class LeadspaceConnectException : LeadspaceException
    {
        internal LeadspaceConnectException(ErrorEntry error, string message, string? recommendedAction = null, object? target = null, Exception? inner = null)
            : base(error, message, inner, recommendedAction)
        {
            Target = target;
        }

        /// <summary>The ErrorRecord's target (never a secret).</summary>
        public object? Target { get; }
    }

    /// <summary>What Connect-Leadspace was given: one of the three ways to authenticate, or none (then the
    /// environment decides), and the settings.</summary>
    internal sealed class ConnectionRequest
    {
        public enum Auth { FromParametersOrEnvironment, Credential, OAuth }

        public Auth Method { get; set; }
        public SecureString? Token { get; set; }
        public string? ProgramId { get; set; }
        /// <summary>User name of -Credential or -OAuthCredential (the program id).</summary>
        public string? UserName { get; set; }
        /// <summary>Password of -Credential (the token) or -OAuthCredential (the secret).</summary>
        public SecureString? Password { get; set; }
        public Uri? BaseUri { get; set; }
        /// <summary>-RateLimitStoreCredential: the Redis ACL user (may be empty) and password of the store.</summary>
        public string? RateLimitStoreUser { get; set; }
        public SecureString? RateLimitStorePassword { get; set; }
        public ConnectionSettings Settings { get; set; } = new ConnectionSettings();
        /// <summary>-CreditBudget (null: not given, then $env:LEADSPACE_CREDIT_BUDGET).</summary>
        public long? CreditBudget { get; set; }
        /// <summary>-BudgetPeriod (null: not given, then $env:LEADSPACE_BUDGET_PERIOD, else Day).</summary>
        public string? BudgetPeriod { get; set; }
    }

    /// <summary>The connection made, and what the user should be told about it.</summary>
    internal sealed class ConnectionOutcome
    {
        internal ConnectionOutcome(LeadspaceConnection connection, double? replacedRate, string? budgetWarning = null)
        {
            Connection = connection; ReplacedRate = replacedRate; BudgetWarning = budgetWarning;
        }
        public LeadspaceConnection Connection { get; }
        /// <summary>Which credit budget applies when it is not the one asked for, or that this connect lowered it.</summary>
        public string? BudgetWarning { get; }
        /// <summary>When this connect changed the limit of a program that other connections already used: the old limit.</summary>
        public double? ReplacedRate { get; }
    }

    /// <summary>
    /// Turns what Connect-Leadspace was given (parameters, then LEADSPACE_* environment variables) into a checked
    /// connection: the base URI and token are validated, OAuth credentials are verified by fetching a token (at no
    /// cost), and only then does the connection join its program's rate gate and, if it asks for another limit,
    /// change it. Nothing here depends on PowerShell.
    /// </summary>
    internal static class ConnectionFactory
    {
        public const string TokenVariable = "LEADSPACE_API_TOKEN";
        public const string ProgramIdVariable = "LEADSPACE_PROGRAM_ID";
        public const string OAuthSecretVariable = "LEADSPACE_OAUTH_SECRET";
        public const string BaseUriVariable = "LEADSPACE_BASE_URI";
        public const string CreditBudgetVariable = "LEADSPACE_CREDIT_BUDGET";
        public const string BudgetPeriodVariable = "LEADSPACE_BUDGET_PERIOD";

        public static ConnectionOutcome Open(ConnectionRequest request, Func<string, string?> environment, CancellationToken cancellationToken,
            Func<HttpMessageHandler>? handler = null, Action<string>? warn = null)
        {
            var settings = request.Settings;
            PrepareStore(request, environment, warn);
            var (budget, period) = ResolveBudget(request, environment);
            settings.BaseUri = request.BaseUri ?? FromEnvironmentUri(environment) ?? ConnectionSettings.DefaultBaseUri;
            try
            {
                settings.Validate();
            }
            catch (ArgumentException ex)
            {
                bool uri = ex.ParamName == nameof(ConnectionSettings.BaseUri);
                throw new LeadspaceConnectException(uri ? ErrorTable.InvalidBaseUri : ErrorTable.InvalidConnectionSetting, ex.Message,
                    uri ? "Pass the service's https address, e.g. -BaseUri https://apigw.leadspace.com (credentials go in -Token or -Credential, never in the URI)." : null,
                    uri ? ConnectionSettings.Redact(settings.BaseUri) : null, ex);
            }

            SecureString? token = null, secret = null;
            switch (request.Method)
            {
                case ConnectionRequest.Auth.Credential:
                    settings.ProgramId = Blank(request.UserName);
                    token = request.Password;
                    break;
                case ConnectionRequest.Auth.OAuth:
                    settings.ProgramId = Blank(request.UserName);
                    if (settings.ProgramId == null)
                        throw new LeadspaceConnectException(ErrorTable.OAuthProgramIdMissing, "-OAuthCredential needs the program id as its user name.");
                    secret = request.Password;
                    break;
                default:
                    settings.ProgramId = Blank(request.ProgramId) ?? Blank(environment(ProgramIdVariable));
                    token = request.Token ?? Secure(environment(TokenVariable));
                    if (token == null)
                    {
                        secret = Secure(environment(OAuthSecretVariable));
                        if (secret == null || settings.ProgramId == null)
                        {
                            throw new LeadspaceConnectException(ErrorTable.TokenMissing,
                                $"No token given. Pass -Token, -Credential or -OAuthCredential, or set ${TokenVariable} (and ${ProgramIdVariable}) for unattended runs.");
                        }
                    }
                    break;
            }

            string? plainToken = null;
            if (token != null)
            {
                plainToken = SecureText.ToPlain(token).Trim();
                var problem = TokenRules.Problem(plainToken);
                if (problem != null)
                {
                    throw new LeadspaceConnectException(ErrorTable.InvalidToken, problem);
                }
            }
            bool oauth = secret != null;
            if (oauth && secret!.Length == 0)
                throw new LeadspaceConnectException(ErrorTable.InvalidCredential, "The OAuth secret is empty.");

            var identity = new ProgramIdentity(settings.BaseUri, settings.ProgramId, plainToken);
            var gate = RateGateRegistry.Acquire(identity, settings.RequestsPerSecond, settings.RateLimitStore, cancellationToken, out bool created, settings.RateLimitStoreUser, settings.RateLimitStorePassword);
            LeadspaceClient? client = null;
            try
            {
                Func<HttpClient, ITokenProvider> tokens = oauth
                    ? http => new OAuthTokenProvider(http, settings.BaseUri, settings.ProgramId!, secret!, timeout: settings.Timeout, maxResponseBytes: settings.MaxResponseBytes)
                    : _ => new PerpetualTokenProvider(token!);
                client = new LeadspaceClient(settings, tokens, gate, handler?.Invoke());
                if (oauth) VerifyOAuth(client, settings, cancellationToken);
            }
            catch
            {
                client?.Dispose();
                RateGateRegistry.Release(identity);
                throw;
            }

            // The program's credit budget (the lowest asked for wins), once the connection is known to be good.
            Budget.BudgetLease? lease = null;
            if (budget != null)
            {
                try
                {
                    lease = Budget.BudgetRegistry.Acquire(identity, gate, budget.Value, period);
                }
                catch
                {
                    client.Dispose();
                    RateGateRegistry.Release(identity);
                    throw;
                }
            }

            // Only a connection that is known to be good may change the program's live limit.
            var before = RateGateRegistry.Commit(gate, settings.RequestsPerSecond);
            var connection = new LeadspaceConnection(client, oauth ? "OAuth" : "PerpetualToken", identity, lease);
            return new ConnectionOutcome(connection, !created && before != settings.RequestsPerSecond ? before : (double?)null, lease?.Warning);
        }

        /// <summary>The credit budget and its period: the parameters, else $env:LEADSPACE_CREDIT_BUDGET and
        /// $env:LEADSPACE_BUDGET_PERIOD; the period defaults to Day. Null: no budget.</summary>
        internal static (long? Budget, Budget.BudgetPeriod Period) ResolveBudget(ConnectionRequest request, Func<string, string?> environment)
        {
            long? budget = request.CreditBudget;
            if (budget == null)
            {
                var text = Blank(environment(CreditBudgetVariable));
                if (text != null)
                {
                    if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                        throw new LeadspaceConnectException(ErrorTable.InvalidConnectionSetting, $"${CreditBudgetVariable} is '{text}': it must be a whole number of credits (0 or more).",
                            $"Set ${CreditBudgetVariable} to the credits the program may spend per period, e.g. 5000, or remove it.");
                    budget = parsed;
                }
            }
            var periodText = Blank(request.BudgetPeriod) ?? Blank(environment(BudgetPeriodVariable));
            var period = Budget.BudgetPeriod.Day;
            if (periodText != null)
            {
                if (!Enum.TryParse(periodText, true, out period) || period == Budget.BudgetPeriod.None || !Enum.IsDefined(typeof(Budget.BudgetPeriod), period) || char.IsDigit(periodText[0]))
                    throw new LeadspaceConnectException(ErrorTable.InvalidConnectionSetting,
                        (request.BudgetPeriod != null ? "-BudgetPeriod" : "$" + BudgetPeriodVariable) + $" is '{periodText}': it must be Day, Week or Month (UTC calendar periods).");
                if (budget == null)
                    throw new LeadspaceConnectException(ErrorTable.InvalidConnectionSetting,
                        (request.BudgetPeriod != null ? "-BudgetPeriod" : "$" + BudgetPeriodVariable) + $" needs a budget: pass -CreditBudget or set ${CreditBudgetVariable}.");
            }
            return (budget, period);
        }

        /// <summary>
        /// The store's credentials, from (first found) -RateLimitStoreCredential, the user and password of a redis://
        /// URI, a password= in the configuration string, or $env:LEADSPACE_RATE_LIMIT_STORE_USER/_PASSWORD. A URI becomes
        /// a configuration string without them. Warns when a password would go to a non-loopback store without TLS.
        /// </summary>
        internal static void PrepareStore(ConnectionRequest request, Func<string, string?> environment, Action<string>? warn)
        {
            var settings = request.Settings;
            bool credentialGiven = request.RateLimitStorePassword != null || request.RateLimitStoreUser != null;
            if (settings.RateLimitStore == null)
            {
                if (credentialGiven)
                    throw new LeadspaceConnectException(ErrorTable.InvalidConnectionSetting,
                        $"-RateLimitStoreCredential needs a store: pass -RateLimitStore or set ${RateLimitStoreOption.EnvironmentVariable}.");
                return;
            }
            string configuration;
            string? uriUser, uriPassword;
            try
            {
                configuration = RateLimitStoreOption.FromUri(settings.RateLimitStore, out uriUser, out uriPassword);
            }
            catch (ArgumentException ex)
            {
                throw new RateLimitStoreException(RateLimitStoreFailure.InvalidConfiguration, ex.Message);
            }
            settings.RateLimitStore = configuration;
            if (credentialGiven)
            {
                settings.RateLimitStoreUser = Blank(request.RateLimitStoreUser);
                settings.RateLimitStorePassword = request.RateLimitStorePassword == null || request.RateLimitStorePassword.Length == 0 ? null : request.RateLimitStorePassword;
            }
            else if (uriUser != null || uriPassword != null)
            {
                settings.RateLimitStoreUser = uriUser;
                settings.RateLimitStorePassword = Secure(uriPassword);
            }
            else if (!RateLimitStoreOption.HasPassword(configuration))
            {
                settings.RateLimitStorePassword = Secure(environment(RateLimitStoreOption.PasswordVariable));
                if (settings.RateLimitStorePassword != null || !System.Text.RegularExpressions.Regex.IsMatch(configuration, @"(^|,)\s*user\s*=", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
                    settings.RateLimitStoreUser = Blank(environment(RateLimitStoreOption.UserVariable));
            }
            bool password = settings.RateLimitStorePassword != null || RateLimitStoreOption.HasPassword(configuration);
            var clear = RateLimitStoreOption.CleartextRemoteEndpoints(configuration);
            if (password && clear.Length > 0)
            {
                warn?.Invoke($"The rate limit store password goes to {string.Join(", ", clear)} without TLS: anyone on the network path can read it. "
                    + "Add ssl=true to the configuration string (or use a rediss:// URI), or use a store on this machine.");
            }
        }

        private static void VerifyOAuth(LeadspaceClient client, ConnectionSettings settings, CancellationToken cancellationToken)
        {
            try
            {
                client.Tokens.GetTokenAsync(cancellationToken).GetAwaiter().GetResult();
            }
            catch (LeadspaceAuthenticationException ex)
            {
                throw new LeadspaceConnectException(ErrorTable.OAuthFailed, ex.Message,
                    $"Check the program id and secret of program '{settings.ProgramId}'.", settings.ProgramId, ex);
            }
            catch (Exception ex) when (ex is LeadspaceTokenUnavailableException || ex is HttpRequestException)
            {
                throw new LeadspaceConnectException(ErrorTable.OAuthUnavailable, ex.Message,
                    $"Check that {settings.BaseUri} is reachable, then connect again.", settings.ProgramId, ex);
            }
        }

        private static Uri? FromEnvironmentUri(Func<string, string?> environment)
        {
            var value = environment(BaseUriVariable);
            if (string.IsNullOrWhiteSpace(value)) return null;
            if (Uri.TryCreate(value!.Trim(), UriKind.Absolute, out var uri)) return uri;
            throw new LeadspaceConnectException(ErrorTable.InvalidBaseUri, $"${BaseUriVariable} is not an absolute URI.",
                $"Set ${BaseUriVariable} to an https address, or remove it to use {ConnectionSettings.DefaultBaseUri}.");
        }

        private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s!.Trim();

        private static SecureString? Secure(string? value)
        {
            if (string.IsNullOrWhiteSpace(value)) return null;
            var secure = new SecureString();
            foreach (var c in value!.Trim()) secure.AppendChar(c);
            secure.MakeReadOnly();
            return secure;
        }
    }
}
