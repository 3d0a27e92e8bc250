package kubetest

import "testing"

func TestDecodeSplitsDocumentsAndSkipsEmptyOnes(t *testing.T) {
	objs, err := Decode([]byte("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n# only a comment\n---\n{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"b\",\"namespace\":\"a\"}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].GetKind() != "Namespace" || objs[1].GetNamespace() != "a" {
		t.Fatalf("decoded %d objects: %v", len(objs), objs)
	}
	if _, err := Decode([]byte("kind: [unclosed")); err == nil {
		t.Fatal("malformed YAML decoded")
	}
}

func TestApplyOrderPutsDefinitionsFirst(t *testing.T) {
	objs, err := Decode([]byte("kind: ConfigMap\n---\nkind: Namespace\n---\nkind: CustomResourceDefinition\n"))
	if err != nil {
		t.Fatal(err)
	}
	var ranks []int
	for _, o := range objs {
		ranks = append(ranks, applyRank(o))
	}
	if ranks[0] != 2 || ranks[1] != 1 || ranks[2] != 0 {
		t.Fatalf("ranks %v", ranks)
	}
}
