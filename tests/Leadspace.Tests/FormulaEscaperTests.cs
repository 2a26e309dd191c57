using Leadspace.Model;
using Leadspace.Output;
using Xunit;

namespace Leadspace.Tests;

/// <summary>-EscapeFormulas: text a spreadsheet would run becomes text; numbers and other values stay as they are.</summary>
public class FormulaEscaperTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\",\"click\")", "'=HYPERLINK(\"http://evil.example\",\"click\")")]
    [InlineData("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0")]
    [InlineData("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0")]
    [InlineData("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0")]
    [InlineData("\t=1+1", "'\t=1+1")]
    [InlineData("\r=1+1", "'\r=1+1")]
    [InlineData("+1 555 0100", "'+1 555 0100")]   // the trade-off: a phone number in international form changes
    [InlineData("-", "'-")]
    [InlineData("Acme = Rockets", "Acme = Rockets")]
    [InlineData("VP of Engineering", "VP of Engineering")]
    [InlineData("'=already text", "'=already text")]
    [InlineData("", "")]
    [InlineData(null, null)]
    [InlineData("-12", "-12")]        // a plain number is no formula and stays a number
    [InlineData("+3.5", "+3.5")]
    [InlineData("-1.5E3", "-1.5E3")]
    [InlineData("-1,5", "'-1,5")]     // not a number in the invariant culture
    [InlineData("-12 ", "'-12 ")]
    public void Escapes_text_that_begins_a_formula(string? value, string? expected)
        => Assert.Equal(expected, FormulaEscaper.Escape(value));

    [Fact]
    public void Every_text_column_of_a_result_is_escaped_and_number_columns_are_untouched()
    {
        var r = new EnrichmentResult
        {
            RowNumber = 7,
            Status = "Enriched",
            Message = "=1+1",
            PersonFirstName = "@Jane",
            PersonPhone = "+1 555 0100",
            CompanyDescription = "-1+cmd|'/C calc'!A0",
            CompanyName = "Acme",
            CompanyIntentProjectScore = "-12",
            CompanySizeExact = -5,
            CompanyFortune500Rank = -1.5m,
            TotalScore = 42m,
            HttpStatus = 200,
        };
        FormulaEscaper.EscapeColumns(r);
        Assert.Equal("'=1+1", r.Message);
        Assert.Equal("'@Jane", r.PersonFirstName);
        Assert.Equal("'+1 555 0100", r.PersonPhone);
        Assert.Equal("'-1+cmd|'/C calc'!A0", r.CompanyDescription);
        Assert.Equal("Acme", r.CompanyName);
        Assert.Equal("Enriched", r.Status);
        Assert.Equal("-12", r.CompanyIntentProjectScore);
        Assert.Equal(-5, r.CompanySizeExact);
        Assert.Equal(-1.5m, r.CompanyFortune500Rank);
        Assert.Equal(42m, r.TotalScore);
        Assert.Equal(7, r.RowNumber);
    }
}
