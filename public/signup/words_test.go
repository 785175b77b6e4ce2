package signup

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/emailaddr"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/i18n/i18ntest"
	"github.com/beacon-status/beacon/internal/web"
)

// formFields are the fields of the forms a refusal is shown beside.
var formFields = []string{"email", "phone_number", "endpoint", "chat_endpoint", "platform", "component_ids", "language"}

// domainRefusals reads the refusals the subscribers package can give the
// forms' fields: each invalid(field, "literal", …) call, the literal's
// verbs filled with a sample, plus the email checks of internal/emailaddr.
func domainRefusals(t *testing.T) []web.ErrorBody {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "subscribers", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []web.ErrorBody
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "invalid" {
				return true
			}
			field, ok1 := call.Args[0].(*ast.BasicLit)
			msg, ok2 := call.Args[1].(*ast.BasicLit)
			if !ok1 || !ok2 {
				return true
			}
			fld, _ := strconv.Unquote(field.Value)
			text, _ := strconv.Unquote(msg.Value)
			if !strings.Contains(strings.Join(formFields, " "), fld) || fld == "" {
				return true
			}
			if text == "%v" {
				return true // another package's reason: the email's are below, the webhook policy's are covered by url_*
			}
			text = strings.NewReplacer("%s", `"zz"`, "%v", "x", "%d", "5").Replace(text)
			out = append(out, web.ErrorBody{Field: fld, Message: fld + " " + text})
			return true
		})
	}
	for _, e := range []error{emailaddr.ErrBlank, emailaddr.ErrTooLong, emailaddr.ErrInvalid, emailaddr.ErrLocalPart,
		emailaddr.ErrIPAddress, emailaddr.ErrDomainName, emailaddr.ErrNoDot} {
		out = append(out, web.ErrorBody{Field: "email", Message: "email " + e.Error()})
	}
	if len(out) < 15 {
		t.Fatalf("found only %d refusals: the scan is broken", len(out))
	}
	return out
}

// Every refusal the domain can give a form field, and every limit, reads
// in each language with no English left: a new invalid(…) the table does
// not know fails here.
func TestRefusalsTranslated(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	bodies := domainRefusals(t)
	for msg := range limits {
		bodies = append(bodies, web.ErrorBody{Message: msg})
	}
	bodies = append(bodies,
		web.ErrorBody{Field: "endpoint", Message: "endpoint invalid webhook url: scheme must be http or https"},
		web.ErrorBody{Field: "chat_endpoint", Message: "chat_endpoint webhook: 10.0.0.1 resolves to a forbidden address: forbidden address"},
		web.ErrorBody{Field: "mode", Message: "mode pigeon notifications are not available on this page"})
	for _, lang := range cat.Langs() {
		for _, b := range bodies {
			got := formMessage(lang, b)
			if lang == cat.Default() {
				continue
			}
			if got == b.Message || strings.Contains(got, b.Message[len(b.Field):]) {
				t.Errorf("%s: %q is left in English: %q", lang.Code(), b.Message, got)
				continue
			}
			i18ntest.NoLeak(t, lang, i18ntest.Pages, got, `"zz"`, "pigeon")
		}
	}
}
