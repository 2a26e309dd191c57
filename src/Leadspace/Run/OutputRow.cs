using System.Collections.Generic;
using System.Linq;
using Leadspace.Mapping;
using Leadspace.Model;
using Leadspace.Output;

namespace Leadspace.Run
{
    /// <summary>One row as it is output: the flat result, or the nested answer (-AsResponse), with the input's columns
    /// (-IncludeInput) named so that none clashes with a result column.</summary>
    internal sealed class OutputRow
    {
        internal OutputRow(EnrichmentResult result, EnrichmentResponse? response, IReadOnlyList<KeyValuePair<string, string?>>? inputColumns)
        {
            Result = result; Response = response; InputColumns = inputColumns;
        }

        public EnrichmentResult Result { get; }
        /// <summary>-AsResponse: the object to output instead of <see cref="Result"/>.</summary>
        public EnrichmentResponse? Response { get; }
        /// <summary>-IncludeInput: output name → text of each input column, in input order.</summary>
        public IReadOnlyList<KeyValuePair<string, string?>>? InputColumns { get; }
    }

    /// <summary>Shapes results for output: the one place every output row passes (formula escaping and the like go here).</summary>
    internal sealed class OutputShaper
    {
        private readonly bool _asResponse;
        private readonly bool _escapeFormulas;
        private readonly InputColumns _inputColumns = new InputColumns(typeof(EnrichmentResult).GetProperties().Select(p => p.Name));

        /// <param name="asResponse">-AsResponse: the nested answer.</param>
        /// <param name="escapeFormulas">-EscapeFormulas: text of the flat result and of the input columns that a spreadsheet
        /// would run as a formula gets a leading ' (<see cref="FormulaEscaper"/>).</param>
        public OutputShaper(bool asResponse, bool escapeFormulas = false) { _asResponse = asResponse; _escapeFormulas = escapeFormulas && !asResponse; }

        /// <param name="result">The row's result.</param>
        /// <param name="input">The input's properties (-IncludeInput), else null.</param>
        public OutputRow Shape(EnrichmentResult result, IReadOnlyList<InputProperty>? input)
        {
            if (_asResponse) return new OutputRow(result, ToResponse(result), null);
            if (_escapeFormulas) FormulaEscaper.EscapeColumns(result);
            if (input == null) return new OutputRow(result, null, null);
            var names = _inputColumns.Names(input.Select(p => p.Name).ToList());
            var columns = new List<KeyValuePair<string, string?>>(input.Count);
            for (int i = 0; i < input.Count; i++) columns.Add(new KeyValuePair<string, string?>(names[i], _escapeFormulas ? FormulaEscaper.Escape(input[i].Text) : input[i].Text));
            return new OutputRow(result, null, columns);
        }

        private static EnrichmentResponse ToResponse(EnrichmentResult result)
        {
            var response = result.Response ?? EnrichmentResponse.Empty();
            response.RowNumber = result.RowNumber;
            response.Outcome = result.Status;
            response.HttpStatus = result.HttpStatus;
            response.Message = result.Message;
            response.FallbackExternalId(result.ExternalId);
            return response;
        }
    }
}
